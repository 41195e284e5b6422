"""The language switcher's list: each language by its own name, never translated."""

from django import template
from django.conf import settings
from django.utils.translation import get_language_info

register = template.Library()


@register.simple_tag
def languages_by_own_name() -> list[dict]:
    """settings.LANGUAGES as code, own name and direction.

    Django's {% get_available_languages %} runs each name through gettext ("English" becomes "Anglais"
    on a French page), and its LANG_INFO names Chinese "简体中文" where the UN writes "中文": a reader
    looks for their own language's name, so the switcher takes the names from settings as written.
    """
    return [{"code": code, "name": name, "bidi": get_language_info(code)["bidi"]} for code, name in settings.LANGUAGES]

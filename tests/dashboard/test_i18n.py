import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "direction", "expected"),
    [("fr", "ltr", ["Tableau de bord", "Différends", "Mes différends"]),
     ("ar", "rtl", ["لوحة المتابعة", "النزاعات", "نزاعاتي"])],
)
def test_the_dashboard_speaks_the_chosen_language(client, mediator, dispute, language, direction, expected):
    client.force_login(mediator)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    body = client.get("/").content.decode()
    assert f'lang="{language}" dir="{direction}"' in body
    for text in expected:
        assert text in body


def test_the_workspace_is_translated_to_french(client, mediator, dispute):
    client.force_login(mediator)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    body = client.get(f"/disputes/{dispute.pk}/").content.decode()
    assert "Parties et positions" in body and "Équipe du dossier" in body and "Réception" in body

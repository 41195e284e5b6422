from django.contrib.auth import views as auth_views
from django.urls import path

from apps.accounts import views
from apps.accounts.decorators import verified_required
from apps.accounts.forms import LockoutAuthenticationForm, RateLimitedPasswordResetForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/change/", verified_required(auth_views.PasswordChangeView.as_view()), name="password_change"),
    path(
        "password/change/done/",
        verified_required(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=RateLimitedPasswordResetForm),
        name="password_reset",
    ),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("organisation/switch/", views.organisation_switch, name="organisation_switch"),
    path("security/", views.account_security, name="account_security"),
    path("security/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("security/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
]

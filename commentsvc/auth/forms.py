"""The forms of the sign-in and account pages; Flask-WTF adds and checks the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import URL, DataRequired, Length, Optional

from commentsvc.services.accounts import (
    MAX_DISPLAY_NAME,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
)

EMAIL = [DataRequired(), Length(max=254)]
NEW_PASSWORD = [DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)]


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)
    name = StringField("Display name", validators=[DataRequired(), Length(max=MAX_DISPLAY_NAME)])
    password = PasswordField(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)", validators=NEW_PASSWORD
    )


class ForgotForm(FlaskForm):
    email = EmailField("Email", validators=EMAIL)


class ResetForm(FlaskForm):
    password = PasswordField(
        f"New password (at least {MIN_PASSWORD_LENGTH} characters)", validators=NEW_PASSWORD
    )


class ProfileForm(FlaskForm):
    name = StringField("Display name", validators=[DataRequired(), Length(max=MAX_DISPLAY_NAME)])
    avatar = StringField(
        "Avatar image (https:// address)",
        validators=[Optional(), URL(require_tld=False), Length(max=1024)],
    )


class DeleteForm(FlaskForm):
    comments = RadioField(
        "Your comments",
        choices=[
            ("anonymise", 'Keep them, shown as by "deleted user"'),
            ("remove", "Remove them"),
        ],
        validators=[DataRequired()],
    )


class ConfirmForm(FlaskForm):
    """A button and the CSRF token: sign-out, resending a confirmation mail."""

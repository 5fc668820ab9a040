"""Account self-service on the service's own origin: profile, linked sign-ins, export, delete."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Response, redirect, render_template, request, url_for

from commentsvc.auth import bp
from commentsvc.auth.flow import sign_out_session
from commentsvc.auth.forms import ConfirmForm, DeleteForm, ProfileForm
from commentsvc.auth.tokens import current_account
from commentsvc.errors import InvalidInput, ServiceError
from commentsvc.extensions import db, limiter
from commentsvc.job_names import Job, fetch_photo_job_id
from commentsvc.jobs import enqueue
from commentsvc.models import Account
from commentsvc.providers import configured_providers
from commentsvc.services.account_data import CommentFate, delete_account, export_account
from commentsvc.services.accounts import update_profile
from commentsvc.services.identities import unlink_identity
from commentsvc.services.photos import avatar_to_fetch


def _signed_in() -> Account | Response:
    account = current_account()
    if account is None:
        target = url_for("auth.login_site") + "?" + urlencode({"next": request.path})
        return redirect(target)
    return account


def _page(account: Account, status: int = 200, error: str | None = None, **forms):
    profile = forms.get("profile") or ProfileForm(
        formdata=None, name=account.display_name, avatar=account.avatar_url or ""
    )
    linked = {identity.provider for identity in account.identities}
    page = render_template(
        "auth/account.html",
        account=account,
        profile=profile,
        delete=forms.get("delete") or DeleteForm(formdata=None, comments="anonymise"),
        confirm=ConfirmForm(formdata=None),
        linkable=[spec for spec in configured_providers().values() if spec.id not in linked],
        error=error,
    )
    return page, status


@bp.get("/account")
def account_page():
    account = _signed_in()
    if isinstance(account, Response):
        return account
    return _page(account)


PROFILE_LIMIT = "20 per hour"


@bp.post("/account/profile")
@limiter.limit(PROFILE_LIMIT)  # each new avatar address is a fetch the service makes
def account_profile():
    account = _signed_in()
    if isinstance(account, Response):
        return account
    form = ProfileForm()
    if not form.validate_on_submit():
        return _page(account, 400, "Check the name and avatar address.", profile=form)
    before = account.avatar_url
    try:
        update_profile(account, form.name.data, form.avatar.data)
    except InvalidInput as error:
        return _page(account, 400, error.detail, profile=form)
    photo = avatar_to_fetch(account.avatar_url) if account.avatar_url != before else None
    db.session.commit()
    if photo is not None:
        enqueue(Job.FETCH_PHOTO, photo, job_id=fetch_photo_job_id(photo))
    return redirect(url_for("auth.account_page"))


@bp.post("/account/unlink/<int:identity_id>")
def account_unlink(identity_id: int):
    account = _signed_in()
    if isinstance(account, Response):
        return account
    try:
        unlink_identity(account, identity_id)
    except ServiceError as error:
        return _page(account, error.status, error.detail)
    db.session.commit()
    return redirect(url_for("auth.account_page"))


@bp.get("/account/export")
def account_export():
    """A JSON file of everything we hold about the signed-in commenter."""
    account = _signed_in()
    if isinstance(account, Response):
        return account
    body = json.dumps(export_account(account), indent=2, ensure_ascii=False)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="commentsvc-account.json"'},
    )


@bp.post("/account/delete")
def account_delete():
    account = _signed_in()
    if isinstance(account, Response):
        return account
    form = DeleteForm()
    if not form.validate_on_submit():
        return _page(account, 400, "Choose what happens to your comments.", delete=form)
    count = delete_account(account, CommentFate(form.comments.data))
    db.session.commit()
    sign_out_session()
    message = f"Your account is deleted; {count} comment(s) were " + (
        "removed." if form.comments.data == CommentFate.REMOVE else 'kept as by "deleted user".'
    )
    return render_template("auth/notice.html", title="Account deleted", message=message), 200

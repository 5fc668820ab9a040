"""The data model, one module per aggregate; importing this package registers every table."""

from commentsvc.models.account import Account, Identity, SiteOperator
from commentsvc.models.comment import Comment, CommentRevision, CommentStatus
from commentsvc.models.feed import OutboundPost, SiteFeed, SiteToken
from commentsvc.models.imported import ImportedItem
from commentsvc.models.mention import Mention, MentionKind, MentionType, Verification
from commentsvc.models.moderation import AuditEntry, Ban
from commentsvc.models.outbound import (
    OutboundHost,
    OutboundHostStop,
    OutboundSend,
    SendProtocol,
    SendReason,
    SendState,
)
from commentsvc.models.photo import Photo
from commentsvc.models.site import MentionsDisplay, ModerationMode, Site, ThreadOrder
from commentsvc.models.thread import Thread
from commentsvc.models.transfer import ImportState, ImportUpload
from commentsvc.models.vote import Vote

__all__ = [
    "Account",
    "AuditEntry",
    "Ban",
    "Comment",
    "CommentRevision",
    "CommentStatus",
    "Identity",
    "ImportState",
    "ImportUpload",
    "ImportedItem",
    "Mention",
    "MentionKind",
    "MentionType",
    "MentionsDisplay",
    "ModerationMode",
    "OutboundHost",
    "OutboundHostStop",
    "OutboundPost",
    "OutboundSend",
    "Photo",
    "SendProtocol",
    "SendReason",
    "SendState",
    "Site",
    "SiteFeed",
    "SiteOperator",
    "SiteToken",
    "Thread",
    "ThreadOrder",
    "Verification",
    "Vote",
]

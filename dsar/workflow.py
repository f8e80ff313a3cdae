"""Which state changes are allowed from which case states (the staff workflow rules)."""

from django.utils.translation import gettext_lazy as _

from .models import CLOSED_STATUSES, OPEN_STATUSES, Status

S = Status
ACTIVE = (S.RECEIVED, S.VERIFYING, S.IN_PROGRESS)

ALLOWED_FROM = {
    "confirm_email": (S.UNCONFIRMED,),
    "close_unconfirmed": (S.UNCONFIRMED,),
    "start_verification": (S.RECEIVED,),
    "verify_identity": (S.RECEIVED, S.VERIFYING, S.AWAITING_REQUESTER),
    "request_information": ACTIVE,
    "requester_reply": OPEN_STATUSES,
    "resume": (S.AWAITING_REQUESTER,),
    "extend": OPEN_STATUSES,
    "create_tasks": (S.RECEIVED, S.VERIFYING, S.IN_PROGRESS, S.AWAITING_REQUESTER),
    "record_decision": (S.IN_PROGRESS, S.AWAITING_REQUESTER),
    "complete": (S.IN_PROGRESS,),
    "deny": OPEN_STATUSES,
    "forward": (S.RECEIVED, S.VERIFYING, S.IN_PROGRESS, S.AWAITING_REQUESTER),
    "mark_duplicate": (S.UNCONFIRMED,) + tuple(OPEN_STATUSES),
    "withdraw": (S.UNCONFIRMED,) + tuple(OPEN_STATUSES),
    "reopen": (S.COMPLETED, S.PARTIALLY_COMPLETED, S.DENIED, S.FORWARDED, S.WITHDRAWN, S.DUPLICATE),
    "assign": (S.UNCONFIRMED,) + tuple(OPEN_STATUSES),
    "change_rule_set": OPEN_STATUSES,
    "send_message": (S.UNCONFIRMED,) + tuple(OPEN_STATUSES) + tuple(CLOSED_STATUSES),
    "render_response": tuple(OPEN_STATUSES) + tuple(CLOSED_STATUSES),
}

ACTION_LABELS = {
    "confirm_email": _("confirm the email"),
    "close_unconfirmed": _("close an unconfirmed request"),
    "start_verification": _("start identity verification"),
    "verify_identity": _("verify identity"),
    "request_information": _("request information"),
    "requester_reply": _("reply"),
    "resume": _("resume the clock"),
    "extend": _("extend the deadline"),
    "create_tasks": _("create tasks"),
    "record_decision": _("record a decision"),
    "complete": _("complete the request"),
    "deny": _("deny the request"),
    "forward": _("forward to the controller"),
    "mark_duplicate": _("mark as duplicate"),
    "withdraw": _("withdraw the request"),
    "reopen": _("reopen the request"),
    "assign": _("assign the case"),
    "change_rule_set": _("change the rule set"),
    "send_message": _("send a message"),
    "render_response": _("prepare a letter"),
}


def is_allowed(action: str, status: str) -> bool:
    return status in ALLOWED_FROM[action]


def allowed_actions(status: str) -> list[str]:
    return [name for name, states in ALLOWED_FROM.items() if status in states]

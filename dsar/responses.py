"""Letters and data packages (the responses work replaces this first version)."""


def render(response_id: int):
    from django.utils import timezone

    from .models import Response

    response = Response.objects.get(pk=response_id)
    response.state = Response.State.FAILED
    response.error = "Letter rendering is not built yet."
    response.rendered_at = timezone.now()
    response.save(update_fields=["state", "error", "rendered_at"])
    return "failed"

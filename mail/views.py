"""The mail app's pages: attachments of received e-mails (staff who may see the thread only) and
"retry now" for a reply that failed to send."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect

from mail import services
from mail.models import Attachment, OutboundEmail
from threads.models import Thread
from threads.pages.views import agent_action, agent_page
from threads.selectors import visible_threads


@agent_page
def attachment(request, pk: int):
    found = get_object_or_404(Attachment.objects.select_related("inbound"), pk=pk)
    thread_id = found.inbound.thread_id
    if (
        thread_id is None
        or not found.file
        or not visible_threads(Thread.objects.filter(pk=thread_id), user=request.user).exists()
    ):
        raise Http404("No such attachment.")
    # Always a download, never shown in the page's origin: an HTML or SVG file sent by anyone
    # must not run as our site.
    try:
        content = found.file.open("rb")
    except OSError:  # the file was removed from MEDIA_ROOT
        raise Http404("This attachment's file is gone.") from None
    response = FileResponse(
        content,
        as_attachment=True,
        filename=found.filename,
        content_type="application/octet-stream",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@agent_action
def outbound_retry(request, pk: int):
    outbound = get_object_or_404(OutboundEmail.objects.select_related("reply"), pk=pk)
    thread_id = outbound.reply.thread_id
    if not visible_threads(Thread.objects.filter(pk=thread_id), user=request.user).exists():
        raise Http404("No such reply.")
    if services.retry_now(outbound=outbound):
        messages.success(request, f"Sending the reply to {outbound.to_address} again now.")
    else:
        messages.info(request, "That reply is already sent or on its way.")
    return redirect("thread", pk=thread_id)

"""The WhatsApp Cloud API transport of the chat adapter.

payload     a webhook notification's JSON → the inbound messages it carries
signature   ``X-Hub-Signature-256``: the HMAC that proves Meta sent a body
sender      replies out through the Graph API's ``/messages`` endpoint
handler     each message → ``Conversation.reply`` → the sender, off the event loop
app         the ASGI app: ``GET /webhook`` handshake, ``POST /webhook`` messages
cli         ``antrean-whatsapp``: the app under uvicorn, configured from the env
"""

from antrean.chat.whatsapp.app import create_app
from antrean.chat.whatsapp.handler import MessageHandler, mask_phone_number
from antrean.chat.whatsapp.payload import (
    InboundMessage,
    PayloadError,
    parse_notification,
)
from antrean.chat.whatsapp.sender import GraphSender, SendError
from antrean.chat.whatsapp.signature import sign, verify_signature

__all__ = [
    "GraphSender",
    "InboundMessage",
    "MessageHandler",
    "PayloadError",
    "SendError",
    "create_app",
    "mask_phone_number",
    "parse_notification",
    "sign",
    "verify_signature",
]

"""The chat adapter: citizens' WhatsApp messages in, replies out.

parse          one text → a command (request, approval code, #batal, #cek)
messages       every reply, in Indonesian and English
conversation   ``Conversation.reply(number, text)``: parse, call, word
console        ``antrean-chat``: the conversation over standard input
"""

from antrean.chat.conversation import Conversation, request_id_for, today_in_jakarta
from antrean.chat.parse import parse

__all__ = ["Conversation", "parse", "request_id_for", "today_in_jakarta"]

from core.outbox import email_render_on_send

from .services import RESET_EMAIL_KIND, password_reset_render

email_render_on_send(RESET_EMAIL_KIND, password_reset_render)

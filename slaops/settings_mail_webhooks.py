"""Mail provider webhook settings (imported by slaops/settings.py): the credentials each inbound
endpoint of django-anymail checks, and how a provider's post is matched to a mailbox."""

import environ

env = environ.Env()

# Inbound webhooks of mail providers (django-anymail): each endpoint answers only when its
# credentials are set. ANYMAIL_WEBHOOK_SECRET is the "user:password" the provider sends as
# HTTP basic auth (Postmark, SendGrid, Amazon SES, Mailgun); Mailgun also signs with its
# webhook signing key. SNS subscriptions are confirmed by hand, never fetched by the server.
ANYMAIL = {
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default=""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
    "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False,
}
# Mailgun's signature covers a timestamp and a token, not the body: a post is taken only within
# this many seconds of its timestamp (either way), and each token once.
MAIL_MAILGUN_MAX_AGE_SECONDS = env.int("MAIL_MAILGUN_MAX_AGE_SECONDS", default=300)
# Which mailbox a provider's inbound mail is for when no recipient matches a mailbox address.
MAIL_WEBHOOK_DEFAULT_MAILBOX = env.str("MAIL_WEBHOOK_DEFAULT_MAILBOX", default="")

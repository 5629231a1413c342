"""The agents' pages: breach queue, thread page, notifications (views, forms, their reads and the
history text)."""

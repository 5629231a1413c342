"""The admin's door for people who are signed in but may not use it (agents, accounts without a
role): a page in the product's layout saying who the admin is for and the way back, instead of
Django's bare admin login form ("You are authenticated as alex, but are not authorized to access
this page"). Signed-out visitors and staff meet the admin login as before."""

import types

from django.shortcuts import render


def welcome_the_signed_in(site) -> None:
    """Wrap `site.login` (called from SlaopsConfig.ready, before the URLs are built)."""
    plain = site.login

    def login(self, request, extra_context=None):
        if (
            request.method == "GET"
            and request.user.is_authenticated
            and not self.has_permission(request)
        ):
            return render(request, "admin_no_access.html", status=403)
        return plain(request, extra_context)

    site.login = types.MethodType(login, site)

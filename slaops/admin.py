"""django-q2's admin pages, for superusers only and read-only for them too.

A schedule names a Python function the task cluster calls as the server's user, so whoever may
write one may run any command on the server. Schedules are written only by the timetable
(slaops/schedules.py); tasks, results and the queue are the cluster's own record. No role has a
django_q permission (accounts/roles.py), and these classes do not even ask for one: only
superusers see the pages, nobody adds, changes, deletes or resubmits from them.
"""

from django.contrib import admin
from django_q import admin as django_q_admin
from django_q.models import Failure, OrmQ, Schedule, Success


class SuperuserReadOnly:
    actions = None  # not even "Resubmit selected tasks": it runs a stored function again

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScheduleAdmin(SuperuserReadOnly, django_q_admin.ScheduleAdmin):
    pass


class SuccessAdmin(SuperuserReadOnly, django_q_admin.TaskAdmin):
    pass


class FailureAdmin(SuperuserReadOnly, django_q_admin.FailAdmin):
    pass


class QueueAdmin(SuperuserReadOnly, django_q_admin.QueueAdmin):
    pass


for model, model_admin in [
    (Schedule, ScheduleAdmin),
    (Success, SuccessAdmin),
    (Failure, FailureAdmin),
    (OrmQ, QueueAdmin),
]:
    # django_q registers OrmQ only for the ORM broker; keep the same set of pages.
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, model_admin)

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="staff"),
    path(
        "sessions/<int:session_id>/regenerate/",
        views.session_regenerate_action,
        name="staff-action-session-regenerate",
    ),
    path(
        "sessions/<int:session_id>/expire/",
        views.session_expire_action,
        name="staff-action-session-expire",
    ),
    path(
        "sessions/<int:session_id>/resend-link/",
        views.payment_link_resend_action,
        name="staff-action-payment-link-resend",
    ),
    path("tasks/<int:task_id>/retry/", views.task_retry_action, name="staff-action-task-retry"),
]

from django.urls import path

from . import api

app_name = "fulfillment"

urlpatterns = [
    path("api/v1/fulfillment/metrics", api.metrics, name="metrics"),
    path("api/v1/fulfillment/health", api.health, name="health"),
    path("api/v1/fulfillment/tasks/<int:task_id>/retry", api.task_retry, name="task-retry"),
    path("api/v1/orders/<str:order_id>/progress", api.progress, name="order-progress"),
]

from django.urls import path

from . import api, views

app_name = "checkout"

urlpatterns = [
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/<slug:slug>/", views.cart_add_item, name="cart-add"),
    path("cart/add-bundle/<int:bundle_id>/", views.cart_bundle_add, name="cart-add-bundle"),
    path("cart/items/<int:item_id>/quantity/", views.cart_item_update, name="cart-item-update"),
    path("cart/items/<int:item_id>/remove/", views.cart_item_remove, name="cart-item-remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/pay/<str:provider_id>/", views.hosted_checkout, name="hosted"),
    path("checkout/orders/<str:number>/", views.order_status, name="order-status"),
    path("checkout/orders/<str:number>/state/", views.order_state_json, name="order-state"),
    path("checkout/orders/<str:number>/cancelled/", views.cancelled, name="cancelled"),
    path("checkout/orders/<str:number>/pay/", views.resume_payment, name="resume"),
    path("api/v1/payments/webhooks/stripe", api.stripe_webhook, name="stripe-webhook"),
    path(
        "api/v1/payments/observability", api.payments_observability, name="payments-observability"
    ),
    path(
        "api/v1/checkout/sessions/<str:ref>/regenerate",
        api.session_regenerate_api,
        name="session-regenerate",
    ),
    path(
        "api/v1/checkout/sessions/<str:ref>/expire", api.session_expire_api, name="session-expire"
    ),
    path(
        "api/v1/checkout/sessions/<str:ref>/resend-link",
        api.payment_link_resend_api,
        name="payment-link-resend",
    ),
]

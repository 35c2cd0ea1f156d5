from django.urls import path

from . import views

urlpatterns = [
    path("", views.billing, name="billing"),
    path("invoices.csv", views.invoices_csv, name="invoices-csv"),
    path("invoices/<str:number>/", views.invoice, name="invoice"),
    path("orders/<str:number>/pay/", views.resume_payment, name="resume-payment"),
]

from django.urls import path

from phoneref.sms import callbacks

urlpatterns = [
    path("callbacks/twilio/", callbacks.twilio_status_view, name="sms-twilio-status"),
    path("callbacks/smsru/", callbacks.smsru_status_view, name="sms-smsru-status"),
]

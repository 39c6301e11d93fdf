from conversations.views import store_conversation
from django.urls import path

urlpatterns = [path("conversations/", store_conversation)]

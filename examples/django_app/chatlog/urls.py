from conversations.views import forget_user, prompt_context, record_message, store_conversation
from django.urls import path

urlpatterns = [
    path("conversations/", store_conversation),
    path("conversations/<uuid:conversation_id>/messages/", record_message),
    path("conversations/<uuid:conversation_id>/context/", prompt_context),
    path("users/<str:user_id>/forget/", forget_user),
]

from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "example_project.shop"
    label = "shop"
    verbose_name = "Example shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_attentive.orders import track

        # The one line a shop adds: texts on creation ("placed") and on each status change.
        track(self.get_model("Order"), status_field="status", created_event="placed")

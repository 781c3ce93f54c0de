from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "example_project.shop"
    label = "shop"
    verbose_name = "Example shop"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from django_attentive.orders import track

        from .checks import check_fake_attentive_not_public

        checks.register(check_fake_attentive_not_public, checks.Tags.security, checks.Tags.urls)

        # The one line a shop adds: texts on creation ("placed") and on each status change,
        # only for orders whose customer ticked the order-texts box at checkout.
        track(
            self.get_model("Order"),
            status_field="status",
            created_event="placed",
            when=lambda order: order.text_updates,
        )

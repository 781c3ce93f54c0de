"""The storefront sign-up form at ``attentive/subscribe/``: consent, then a subscription."""

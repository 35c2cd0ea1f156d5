from django.dispatch import Signal

# Sent after a visitor's "Add to cart" or "Add the bundle" succeeded (kwargs: request,
# product_ids). Experiments receive it to count add-to-cart goals.
cart_items_added = Signal()

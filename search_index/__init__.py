"""Smart search over app functions, products, life services and FAQ (Whoosh)."""

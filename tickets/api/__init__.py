"""REST endpoints for customers, products and tickets."""

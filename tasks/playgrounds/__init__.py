"""Open playgrounds (R8.2): primary-school playgrounds open to residents mornings and evenings."""

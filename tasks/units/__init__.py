"""Community units (R7.6): organisations and firms that contribute ideas, money and effort."""

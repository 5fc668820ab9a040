"""Domain operations. They take the actor and the site as arguments and flush, never commit."""

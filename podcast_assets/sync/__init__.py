"""Real listeners: accounts, the gpodder.net API 2 their podcast apps sync through, and their feeds back."""

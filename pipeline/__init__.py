"""newsline pipeline."""

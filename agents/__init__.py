"""newsline agents."""

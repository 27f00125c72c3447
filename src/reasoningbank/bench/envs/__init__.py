"""Environments the bench agent acts in: the protocol, MiniWoB++ in Chromium, a scripted fake."""

"""One router per endpoint family of /api/v1; each is made from the app's `Api` context."""

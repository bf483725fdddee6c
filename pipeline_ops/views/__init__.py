"""Views the admin wraps (login, staff, CSRF) and the report addresses."""

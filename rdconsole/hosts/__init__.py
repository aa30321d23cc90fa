"""Adapters: the only code that talks to servers, processes and files on hosts."""

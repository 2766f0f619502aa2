"""Test support: real Redis servers, a GCS emulator, a SendGrid stand-in."""

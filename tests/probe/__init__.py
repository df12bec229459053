"""Tests of the live tester (app.probe): guard, wire, session and real-server dialogues."""

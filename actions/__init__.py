"""Custom actions run by the Rasa action server; they call the service layer in assistant.bank."""

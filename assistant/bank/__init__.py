"""The bank behind the bot: the service layer the actions and the gateway call."""

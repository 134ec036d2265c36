"""Mobile-banking conversational assistant and smart search service."""

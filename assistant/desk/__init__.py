"""The service desk: conversation log, handoffs to human agents, the trainers' NLU inbox, statistics."""

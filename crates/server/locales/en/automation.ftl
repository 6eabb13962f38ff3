# Messages of the automation settings: workflows, assignment rules, webhooks.

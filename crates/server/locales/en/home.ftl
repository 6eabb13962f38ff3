# Messages of the home page.

home-title = Home
home-greeting = Hello, { $name }
home-new-person = New person
home-new-deal = New deal
home-first-title = Welcome to Rapport
home-first-text = Rapport keeps every customer, prospect and partner in one place, with every call, email and meeting. Start with a first contact, bring in a file from another tool, or look around a demo company.
home-first-create = Create a contact
home-first-import = Import a file
home-first-demo = Load the demo company
home-fig-overdue = Overdue tasks
home-fig-due-today = Due today
home-fig-open-deals = My open deals
home-fig-open-amount = In my pipeline
home-tasks = My tasks for today
home-tasks-none = Nothing due today. Well done.
home-overdue = Overdue
home-see-calendar = See the calendar
home-deals = My open deals by stage
home-deals-none = You have no open deals.
home-stage = Stage
home-count = Deals
home-amount = Amount
home-see-board = Open the pipeline board
home-recent = Recent activity on my records
home-recent-none = No recent calls, emails or meetings on the people, organizations or deals you own.

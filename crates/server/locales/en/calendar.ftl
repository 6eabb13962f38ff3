# Messages of the calendar pages.
calendar-title = Calendar
calendar-new-task = New task
calendar-navigation = Move through the calendar
calendar-prev-week = Previous week
calendar-next-week = Next week
calendar-prev-day = Previous day
calendar-next-day = Next day
calendar-today = Today
calendar-view = View
calendar-day = Day
calendar-week = Week
calendar-whose = Whose tasks and meetings
calendar-mine = Mine
calendar-everyone = Everyone I can see
calendar-go-to = Go to date
calendar-show = Show
calendar-week-of = Week of { $from } to { $to }
calendar-nothing = Nothing planned.
calendar-overdue = Overdue
calendar-more = { $count ->
    [one] 1 more
   *[other] { $count } more
}
calendar-all-tasks = { $count ->
    [one] The task due this day, in the task list
   *[other] All { $count } tasks due this day, in the task list
}
calendar-all-meetings = { $count ->
    [one] The meeting of this day, in the activity list
   *[other] All { $count } meetings of this day, in the activity list
}
calendar-more-plus = { $count }+ more
calendar-all-tasks-plus = More than { $count } tasks due this day, in the task list
calendar-all-meetings-plus = More than { $count } meetings this day, in the activity list

# Messages of the board pages.
board-title = Pipeline
board-new-deal = New deal
board-list-view = List view
board-pipelines = Pipelines
board-empty-title = No pipeline yet
board-empty-text = An administrator creates pipelines and their stages in the settings; deals then appear here by stage.
board-hint = Drag a deal to another column, or use “Move to” on its card.
board-hint-read-only = You may look at the pipeline but not move deals.
board-count = Deals
board-total = Total amount
board-no-deals = No deals in this stage.
board-closes = Closes { $date }
board-move-to = Move to
board-move-label = Stage for { $name }
board-move = Move
board-moved = Deal moved to { $stage }.
board-move-failed = The deal was not moved.
# Why a move was refused, in `reason`.
board-move-failed-reason = The deal was not moved: { $reason }
board-stale = Someone else changed this deal meanwhile, so it was not moved. Reload the page to see the latest version.
board-move-invalid = Choose a deal and a stage of a pipeline.
board-show-all = { $count ->
    [one] Show the deal in the list
   *[other] Show all { $count } deals
}
board-show-more = Show more
board-move-title = Move { $name }

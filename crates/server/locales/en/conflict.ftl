# Why a change was refused because of the state of other records: one
# message per code of the store's conflicts (`conflict-<code>`).
conflict-pipeline-default = The default pipeline cannot be deleted: make another pipeline the default first.
conflict-pipeline-in-use = { $count ->
    [one] This pipeline still holds a deal: move or delete it first.
   *[other] This pipeline still holds { $count } deals: move or delete them first.
}
conflict-stage-in-use = { $count ->
    [one] The stage “{ $stage }” still holds a record: move it first.
   *[other] The stage “{ $stage }” still holds { $count } records: move them first.
}
conflict-field-deleted = The field “{ $field }” is deleted: restore it first.
conflict-field-already-deleted = The field “{ $field }” is already deleted.
conflict-field-not-deleted = The field “{ $field }” is not deleted.
conflict-field-purge-live = Delete the field “{ $field }” before removing it for good.
conflict-kind-has-records = { $count ->
    [one] { $kind } still has a record: delete it first, nothing is removed silently.
   *[other] { $kind } still has { $count } records: delete them first, nothing is removed silently.
}
conflict-kind-in-use = { $kind } are still used by { $users }: change or delete those first.
conflict-idempotency-reused = This request was already sent with other content.
conflict-busy = Others are changing this record right now. Try again.
conflict-user-kept = Users are never deleted, so that their records keep an author: deactivate the user instead.
conflict-no-owner = These records have no owner to assign.
conflict-rule-gone = The assignment rule no longer exists.
conflict-rule-kind = The assignment rule “{ $rule }” assigns other records.
conflict-changed-during-merge = A record changed while it was being merged. Nothing was merged; try again.
conflict-changed-during-import = A record changed during the import. Run the import again.

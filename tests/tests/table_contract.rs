//! The `Table` contract suite, run against the embedded store and against DynamoDB
//! (moto on loopback, real AWS SDK).

use kyc_tests::{backends, contract};

macro_rules! contract_case {
    ($case:ident) => {
        mod $case {
            use super::*;

            #[tokio::test]
            async fn embedded() {
                contract::$case(backends::embedded().as_ref()).await;
            }

            #[tokio::test]
            async fn dynamodb() {
                contract::$case(backends::dynamo().await.as_ref()).await;
            }
        }
    };
}

contract_case!(an_item_reads_back_as_written);
contract_case!(a_put_on_an_existing_key_with_not_exists_fails_and_changes_nothing);
contract_case!(a_failed_condition_rolls_back_the_whole_transaction);
contract_case!(a_version_condition_applies_only_to_the_version_read);
contract_case!(checks_and_deletes_obey_their_conditions);
contract_case!(an_expired_item_may_be_replaced_but_a_live_one_may_not);
contract_case!(a_transaction_may_not_touch_one_item_twice);
contract_case!(a_sort_key_prefix_query_pages_in_order_in_both_directions);
contract_case!(a_secondary_index_is_sparse_and_pages_by_its_sort_key);
contract_case!(a_page_key_resumes_right_after_the_item_it_names);
contract_case!(add_counts_from_zero_and_accumulates_atomically_in_a_transaction);

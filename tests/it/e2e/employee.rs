//! The employee, on a phone: signs in, sees how many materials wait for them in the header,
//! opens one from their list, confirms it, and sees the count drop.

use super::harness::{Account, Screen};
use super::journey::Journey;

const EMPLOYEE: Account = Account {
    email: "lan.nt@stttt.test",
    name: "Nguyễn Thị Lan",
    role: "employee",
    unit: Some("van-phong"),
    head: false,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employee_sees_the_count_confirms_and_the_count_drops() {
    let Some(mut j) = Journey::start("employee", Screen::Phone, &[EMPLOYEE]).await else {
        return;
    };
    j.goto("/dang-nhap").await;
    j.check("sign-in").await;
    j.sign_in(EMPLOYEE.email).await;

    // The shipped content asks all staff to confirm a few materials.
    let pending: usize = j.text(".ack-nav .ack-count").await.parse().unwrap();
    assert!(
        pending >= 2,
        "the content asks staff to confirm at least two materials"
    );
    let spoken = j
        .js("return document.querySelector('.ack-nav .visually-hidden').textContent;")
        .await;
    assert_eq!(
        spoken,
        format!(": {pending} tài liệu chưa xác nhận"),
        "what a screen reader hears"
    );
    j.check("home-signed-in").await;

    j.click(".ack-nav").await;
    j.wait_path("/can-xac-nhan").await;
    assert_eq!(j.find_all(".ack-item").await.len(), pending);
    j.check("to-confirm").await;

    j.click(".ack-item a[href^='/bai-viet/thong-bao-608-sttt-vp']")
        .await;
    j.wait_path("/bai-viet/thong-bao-608-sttt-vp").await;
    assert!(j.text(".ack-state").await.contains("Chưa xác nhận"));
    j.check("notice").await;

    j.click(".ack-form button[type=submit]").await;
    j.wait_text(".ack-state", "Đã xác nhận lúc").await;
    assert_eq!(
        j.text(".ack-nav .ack-count").await,
        (pending - 1).to_string(),
        "the count dropped"
    );
    j.check("confirmed").await;

    j.click(".ack-nav").await;
    j.wait_path("/can-xac-nhan").await;
    assert_eq!(j.find_all(".ack-item").await.len(), pending - 1);
    assert_eq!(j.find_all(".ack-done").await.len(), 1);
    j.check("to-confirm-after").await;

    j.finish().await;
}

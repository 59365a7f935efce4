//! The document's status values as named constants (they go to the header).

/// 签名数据状态 status（4.3.7、5.1.1）：0 待处理
pub const YWX_SIGN_STATUS_PENDING: i32 = 0;
/// 签名数据状态：2 已签名
pub const YWX_SIGN_STATUS_SIGNED: i32 = 2;
/// 签名数据状态：6 拒绝（拒签）
pub const YWX_SIGN_STATUS_REFUSED: i32 = 6;
/// 签名数据状态：7 过期（待签数据过期删除）
pub const YWX_SIGN_STATUS_EXPIRED: i32 = 7;
/// 签名数据状态：8 待签删除
pub const YWX_SIGN_STATUS_DELETED: i32 = 8;
/// 签名数据状态：9 作废（签名后 app 操作作废）
pub const YWX_SIGN_STATUS_VOIDED: i32 = 9;
/// 签名数据状态：10 未领取（signType 4，等待医师扫码绑定）
pub const YWX_SIGN_STATUS_UNCLAIMED: i32 = 10;

/// 医师操作标识 process（2.3.2）：0 审核通过
pub const YWX_DOCTOR_PROCESS_APPROVED: i32 = 0;
/// 医师操作标识：1 证书签发
pub const YWX_DOCTOR_PROCESS_CERT_ISSUED: i32 = 1;
/// 医师操作标识：2 设置签章（只有此状态才可推送签名数据）
pub const YWX_DOCTOR_PROCESS_STAMP_SET: i32 = 2;
/// 医师操作标识：3 用户注销
pub const YWX_DOCTOR_PROCESS_CANCELLED: i32 = 3;
/// 医师操作标识：4 审核拒绝
pub const YWX_DOCTOR_PROCESS_REJECTED: i32 = 4;
/// 医师操作标识：5 用户停用
pub const YWX_DOCTOR_PROCESS_DISABLED: i32 = 5;

/// 签章状态 stampStatus（2.3.2）：10 签章未审核
pub const YWX_STAMP_STATUS_UNREVIEWED: i32 = 10;
/// 签章状态：11 签章已审核
pub const YWX_STAMP_STATUS_REVIEWED: i32 = 11;

/// 自动签授权结果 grantStep（4.3.2）：0 未处理
pub const YWX_GRANT_STEP_PENDING: i32 = 0;
/// 自动签授权结果：1 授权允许
pub const YWX_GRANT_STEP_ALLOWED: i32 = 1;
/// 自动签授权结果：2 授权拒绝
pub const YWX_GRANT_STEP_REFUSED: i32 = 2;

/// 数据签名 signType（4.3.5）：0 推送签名（指定医生）
pub const YWX_SIGN_TYPE_PUSH: i32 = 0;
/// 数据签名 signType：4 auth 绑定签名（推送后返回二维码，医生扫码绑定）
pub const YWX_SIGN_TYPE_AUTH_BIND: i32 = 4;
/// 商务签名 signType（4.3.6）：0 推送到医网信 APP
pub const YWX_BUSINESS_SIGN_TYPE_PUSH: i32 = 0;
/// 商务签名 signType：1 SDK 集成签名
pub const YWX_BUSINESS_SIGN_TYPE_SDK: i32 = 1;
/// 商务签名 signType：2 PC 二维码签名
pub const YWX_BUSINESS_SIGN_TYPE_PC_QRCODE: i32 = 2;

/// 用户类型 userType（3.3.2）：0 医生
pub const YWX_USER_TYPE_DOCTOR: i32 = 0;
/// 用户类型：1 公众
pub const YWX_USER_TYPE_PUBLIC: i32 = 1;

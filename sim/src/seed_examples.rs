//! The example requests of the vendor's document, verbatim (whitespace
//! and all), so that the simulator's tests and the library's tests send
//! exactly the same bytes the document shows.

pub const EX_DOCTOR_SEARCH: &str = r#"{
    "head": {
        "clientId": "2017070411003371"
    },
    "body": {
         "openId":"46f4064de8a71feaqd414wfc9cyd06f74f7"
    }
}"#;

pub const EX_SELF_SIGN_REQUEST: &str = r#"{
    "head": {
        "clientId": "2017070411003376",
        "clientSecret": "2021112519000550"
    },
    "body": {
        "openId": "c1ac09f4def444f3aa5857cb65206045",
        "sysTag": "his"
    }
}"#;

pub const EX_SELF_SIGN_RESULT: &str = r#"{
    "head": {
        "clientId": "2017070411003376",
        "clientSecret": "2021112519000550"    
    },
    "body": {
        "openId": "c1ac09f4def444f3aa5857cb65206045"
    }
}"#;

pub const EX_SELF_SIGN_QUIT: &str = EX_SELF_SIGN_REQUEST;

pub const EX_SIGN_DATA: &str = r#"{
    "signType": "0",    
    "msg": {
        "head": {    
            "clientId": "2017070411003376",    
            "templateId": "hash_023",    
            "clientSecret": "2021112519000550",    
            "channelID": "",
            "sysTag": "his"
            },    
        "body": {    
            "urId": "62420111136",    
            "openId": "aa69bbd2b150006aq5164wfe4dybd786d1a",    
            "patientName": "天猫",    
            "patientAge": "11",    
            "patientSex": "男",    
            "patientCard": "535689193101071814",    
            "patientCardType": "SF",    
            "recipeTime": "2017-06-11 11:32:33",    
            "hashValue": "LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=",    
            "hashType": "SHA-256"    
        }    
    }}"#;

pub const EX_BUSINESS: &str = r#"{
    "signType": "0",
    "msg": {
        "body": {
            "urId": "00001",
            "openId": "2f6d8818253b2d38qd744w52f6y9a3f8b01",
            "viewName": "测试",
            "viewTime": "2017-11-15 14:45:33",
            "pdfBase64": "pdfBase64",
            "viewSubject": "xxxxxx主题xxxxxx",
            "viewRemark": "备注"
        },
        "head": {
            "templateId": "personPdf",
            "accessToken": "ad428569108d4199ae578cb707a07fde",
            "clientId": "2015112716143751"
        }
    }
}"#;

pub const EX_QUERY: &str = r#"{
    "head": {
        "clientId": "2017070411003376"
    },
    "body": {
        "uniqueId": "57cacee629a94aa4959bcfb1b939a472"
    }
}"#;

pub const EX_LIST: &str = r#"{
    "head": {
        "clientId": "2017070411003376"
    },
    "body": {
        "startDate": "2018-08-02 00:00:00",
        "endDate": "2018-08-04 00:00:00",
        "pageNum": "1",
        "pageSize": "20"
    }
}"#;

pub const EX_DELETE: &str = EX_QUERY;

pub const EX_VERIFY: &str = r#"{
"head": {
        "clientId":"2017070411003376",
        "templateId":"hash_023",
        "uniqueId":"58dfd52e1e5042869db2406d57b71e5b"
    },
    "body": {
        "urId": "62420111136",
        "openId": "aa69bbd2b150006aq5164wfe4dybd786d1a",
        "patientName": "天猫",
        "patientAge": "11",
        "patientSex": "男",
        "patientCard": "535689193101071814",
        "patientCardType": "SF",
        "recipeTime": "2017-06-11 11:32:33",
        "hashValue": "LM0WEHidhjstcPCvVVdEMHSK7lwAAAAAAAAAAAAAAAA=",
        "hashType": "SHA-256"
    }
}"#;

pub const EX_VERIFY_TS: &str = r#"{
    "head": {
        "clientId": "2017070411003376",
        "clientSecret": "2021112519000550"
    },
    "body": {
        "uniqueId": "c1ac09f4def444f3aa5857cb65206045"
    }
}"#;

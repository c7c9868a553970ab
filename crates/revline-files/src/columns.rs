//! Columns in and out of Arrow record batches, and batches in and out of Parquet files.
//! Every column is written without nulls: the snapshot marks what is missing with its
//! own values (`NONE`, `NEVER`, NaN), so a file holds exactly the snapshot's numbers.

use crate::FilesError;
use arrow_array::ArrowPrimitiveType;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type, UInt8Type, UInt32Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    UInt8Array, UInt32Array, UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// A record batch under construction, one named column at a time.
#[derive(Default)]
pub struct Columns {
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
}

impl Columns {
    fn push(mut self, name: &str, array: ArrayRef) -> Columns {
        self.fields
            .push(Field::new(name, array.data_type().clone(), false));
        self.arrays.push(array);
        self
    }

    pub fn u32(self, name: &str, values: impl IntoIterator<Item = u32>) -> Columns {
        self.push(name, Arc::new(UInt32Array::from_iter_values(values)))
    }

    pub fn u64(self, name: &str, values: impl IntoIterator<Item = u64>) -> Columns {
        self.push(name, Arc::new(UInt64Array::from_iter_values(values)))
    }

    pub fn i64(self, name: &str, values: impl IntoIterator<Item = i64>) -> Columns {
        self.push(name, Arc::new(Int64Array::from_iter_values(values)))
    }

    pub fn i32(self, name: &str, values: impl IntoIterator<Item = i32>) -> Columns {
        self.push(name, Arc::new(Int32Array::from_iter_values(values)))
    }

    pub fn u8(self, name: &str, values: impl IntoIterator<Item = u8>) -> Columns {
        self.push(name, Arc::new(UInt8Array::from_iter_values(values)))
    }

    pub fn f64(self, name: &str, values: impl IntoIterator<Item = f64>) -> Columns {
        self.push(name, Arc::new(Float64Array::from_iter_values(values)))
    }

    pub fn bool(self, name: &str, values: impl IntoIterator<Item = bool>) -> Columns {
        let array: BooleanArray = values.into_iter().map(Some).collect();
        self.push(name, Arc::new(array))
    }

    pub fn str<'a>(self, name: &str, values: impl IntoIterator<Item = &'a str>) -> Columns {
        let array: StringArray = values.into_iter().map(Some).collect();
        self.push(name, Arc::new(array))
    }

    /// Writes the columns as one Parquet file (snappy: a third of the plain size for a
    /// few percent of the reading time).
    pub fn write(self, path: &Path) -> Result<(), FilesError> {
        let schema = Arc::new(Schema::new(self.fields));
        let batch = RecordBatch::try_new(schema.clone(), self.arrays)
            .map_err(|e| FilesError::at(path, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let file = File::create(path).map_err(|e| FilesError::at(path, e))?;
        let mut writer =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| FilesError::at(path, e))?;
        writer.write(&batch).map_err(|e| FilesError::at(path, e))?;
        writer.close().map_err(|e| FilesError::at(path, e))?;
        Ok(())
    }
}

/// The record batches of one Parquet file, read whole.
pub struct Read<'p> {
    path: &'p Path,
    batches: Vec<RecordBatch>,
}

impl<'p> Read<'p> {
    pub fn file(path: &'p Path) -> Result<Read<'p>, FilesError> {
        let file = File::open(path).map_err(|e| FilesError::at(path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| FilesError::at(path, e))?
            .with_batch_size(1 << 20)
            .build()
            .map_err(|e| FilesError::at(path, e))?;
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| FilesError::at(path, e))?;
        Ok(Read { path, batches })
    }

    pub fn path(&self) -> &Path {
        self.path
    }

    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    fn arrays(&self, name: &str, want: &DataType) -> Result<Vec<&dyn Array>, FilesError> {
        self.batches
            .iter()
            .map(|b| {
                let column = b.column_by_name(name).ok_or_else(|| {
                    FilesError::at(self.path, format!("column `{name}` is missing"))
                })?;
                if column.data_type() != want || column.null_count() > 0 {
                    return Err(FilesError::at(
                        self.path,
                        format!(
                            "column `{name}` is {} with {} nulls; expected {want} without nulls",
                            column.data_type(),
                            column.null_count()
                        ),
                    ));
                }
                Ok(column.as_ref())
            })
            .collect()
    }

    /// The values of a numeric column, batch by batch, without copying them.
    pub fn slices<T: ArrowPrimitiveType>(
        &self,
        name: &str,
    ) -> Result<Vec<&[T::Native]>, FilesError> {
        Ok(self
            .arrays(name, &T::DATA_TYPE)?
            .into_iter()
            .map(|a| &**a.as_primitive::<T>().values())
            .collect())
    }

    /// The values of a numeric column, copied out.
    pub fn values<T: ArrowPrimitiveType>(&self, name: &str) -> Result<Vec<T::Native>, FilesError> {
        Ok(self.slices::<T>(name)?.concat())
    }

    pub fn u32(&self, name: &str) -> Result<Vec<u32>, FilesError> {
        self.values::<UInt32Type>(name)
    }

    pub fn u64(&self, name: &str) -> Result<Vec<u64>, FilesError> {
        self.values::<UInt64Type>(name)
    }

    pub fn i64(&self, name: &str) -> Result<Vec<i64>, FilesError> {
        self.values::<Int64Type>(name)
    }

    pub fn i32(&self, name: &str) -> Result<Vec<i32>, FilesError> {
        self.values::<Int32Type>(name)
    }

    pub fn u8(&self, name: &str) -> Result<Vec<u8>, FilesError> {
        self.values::<UInt8Type>(name)
    }

    pub fn f64(&self, name: &str) -> Result<Vec<f64>, FilesError> {
        self.values::<Float64Type>(name)
    }

    pub fn bool(&self, name: &str) -> Result<Vec<bool>, FilesError> {
        let mut out = Vec::with_capacity(self.rows());
        for a in self.arrays(name, &DataType::Boolean)? {
            out.extend(a.as_boolean().values().iter());
        }
        Ok(out)
    }

    pub fn str(&self, name: &str) -> Result<Vec<String>, FilesError> {
        let mut out = Vec::with_capacity(self.rows());
        for a in self.arrays(name, &DataType::Utf8)? {
            out.extend(
                a.as_string::<i32>()
                    .iter()
                    .map(|s| s.unwrap_or("").to_string()),
            );
        }
        Ok(out)
    }
}
